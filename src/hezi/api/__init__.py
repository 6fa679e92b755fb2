"""The HTTP layer: parse a request, call one service method, serialize. No queries or permission logic here."""
