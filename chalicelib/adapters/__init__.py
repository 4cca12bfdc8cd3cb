"""Adapters: the outside world (DynamoDB, Cognito, PayPal, WebSocket) behind small classes."""
