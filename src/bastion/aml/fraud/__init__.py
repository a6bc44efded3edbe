"""The learned fraud model (R5.5): features, training and scoring, apart from Django.

``model`` and ``train`` are pure (numpy, Polars, LightGBM); ``dataset`` reads stored payments and
outcomes through the ORM and builds the frames they need.
"""

# The id of the fraud model's line among a decision's reasons (its evidence: the top features).
EXPLAIN_ID = "FRAUD-MODEL"
