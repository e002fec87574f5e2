"""External accounts: the end users of a customer's product (the SDK's ``accountId``)."""
