-- Order lines that are no merchandise: postage, fees, discounts, gift cards a shop books as
-- order lines. The products file says so (merchandise false); NULL is merchandise, as every
-- product was before. Best sellers, categories, basket rules and basket sizes leave such
-- products out (shopperlens.merchandise); revenue keeps them.
ALTER TABLE products ADD COLUMN IF NOT EXISTS merchandise BOOLEAN;
