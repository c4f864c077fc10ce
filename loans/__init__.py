"""The loan domain: branches, staff, borrowers, products, loans and their stage records."""
