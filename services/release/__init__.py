"""Git state, versions, and the deploy and rollback commands."""
