"""Anti-money-laundering and anti-fraud: KYC, large-value and suspicious reports, typologies, cases, screening."""
