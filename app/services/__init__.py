"""What the routes and tasks do, in the vocabulary of the course; they call the db layer."""
