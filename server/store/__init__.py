"""Horn's stores: the database, the artifact files and the live event bus."""
