"""Pure product rules: no boto3, pynamodb, chalice or PayPal imports here."""
