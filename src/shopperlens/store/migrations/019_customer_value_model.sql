-- Which model made the stored customer-value run (``service.clv.MODEL_VERSION``). A run an
-- older release stored was shown as the current one after an upgrade, since the dates, the
-- horizon and the last import said nothing of the model: its figures counted a USD order as
-- EUR. NULL for runs stored before this version: not the current model's, so the run is
-- computed again on demand, as one made before the last import is.
ALTER TABLE customer_value ADD COLUMN model_version VARCHAR;
