"""The web pages: server-rendered HTML for students and TAs, on the API's services and rules.

Signing in turns a pasted API token into a session cookie; every page then reads and acts
through app/services exactly as the API does, so no page can show more than the API would."""
