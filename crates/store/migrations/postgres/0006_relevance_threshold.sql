-- A coach's threshold for answering: below it, the material is judged not to hold the
-- answer and a grounded coach refuses. NULL: the measured default.
ALTER TABLE coaches ADD COLUMN relevance_threshold DOUBLE PRECISION;
