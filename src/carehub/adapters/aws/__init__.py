"""What every AWS adapter shares: a lazily made boto3 client and its errors, told as
carehub failures that keep only the AWS error code."""
