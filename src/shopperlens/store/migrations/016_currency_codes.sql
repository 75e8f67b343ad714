-- Currency codes in capitals, as imports now store them: an order stored as 'usd' (a Stripe
-- export writes codes in lower case) clashed with the same order in a later export, read as
-- 'USD', and refused the whole file.
UPDATE orders SET currency = upper(trim(currency))
WHERE currency IS NOT NULL AND currency <> upper(trim(currency));
