"""Fakes of the chat platforms at their HTTP and websocket edge, for end-to-end tests."""
