"""FastAPI JSON API and server-rendered pages (app layer). Not yet built."""
