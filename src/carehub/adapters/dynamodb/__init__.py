"""DynamoDB storage: one table for every port (the design is in docs/dynamodb.md)."""
