"""Exchange with other systems: FHIR and CSV export."""
