"""Services: each function owns one piece of work on a connection the caller holds inside a
transaction. ``posting`` is the only module that writes journal entries."""
