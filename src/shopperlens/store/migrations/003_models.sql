-- Predictive models: the last lifetime-value run per customer and intent score per visitor.
-- Each run replaces the previous one (the models are refitted from all orders every time).
CREATE TABLE customer_value (
    customer_id        VARCHAR PRIMARY KEY,
    as_of              TIMESTAMP NOT NULL,
    horizon_days       INTEGER NOT NULL,
    frequency          DOUBLE NOT NULL,   -- repeat purchase days
    recency            DOUBLE NOT NULL,   -- days from first to last purchase
    "T"                DOUBLE NOT NULL,   -- days from first purchase to as_of
    monetary_value     DOUBLE NOT NULL,   -- mean value of repeat purchases (0 without one)
    p_alive            DOUBLE NOT NULL,
    expected_purchases DOUBLE NOT NULL,   -- in the next horizon_days
    next_order_days    DOUBLE,            -- median days to the next order if still alive
    expected_spend     DOUBLE NOT NULL,   -- Gamma-Gamma expected order value
    clv                DOUBLE NOT NULL,   -- discounted value over horizon_days
    at_risk            BOOLEAN NOT NULL,
    computed_at        TIMESTAMP NOT NULL
);

CREATE TABLE visitor_intent (
    visitor_id  VARCHAR,
    customer_id VARCHAR,
    session_id  VARCHAR,
    intent      DOUBLE NOT NULL,          -- calibrated P(purchase)
    top_drivers VARCHAR NOT NULL,         -- "feature +0.12; feature -0.03"
    computed_at TIMESTAMP NOT NULL
);
