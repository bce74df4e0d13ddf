"""What reaches a person in the app: one digest a day, with an unread count in the header."""
