"""The web side: the Flask app factory, staff login, pages and the JSON API."""
