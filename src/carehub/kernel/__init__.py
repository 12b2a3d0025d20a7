"""What every domain shares. Imports no other carehub module."""
