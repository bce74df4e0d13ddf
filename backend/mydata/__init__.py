"""All my data (GDPR art. 15 and 20): everything stored about the signed-in person and the
children whose plans she may read, as JSON and as a readable page."""
