-- KPI 10: Score distribution (quartiles, median) by department.
-- Answers: the distribution of assessment scores (fact_performance.score_pct, submitted items
--   only) for each department's courses over all terms: min, 25th percentile, median, 75th
--   percentile, max and mean. Percentiles are continuous (linear interpolation), computed
--   on DOUBLE: over DECIMAL, DuckDB interpolates in DECIMAL (rounding to the column's scale)
--   while DataFusion returns Float64. Quartiles and the median are safe with percentile_cont:
--   their interpolation weight p*(n-1) - floor(...) is 0, .25, .5 or .75, exact in binary
--   (DataFusion 55 truncates the weight to 6 decimals; see KPI 23 for p90).
-- Grain: one row per department.
-- Reads: fact_performance, dim_course, dim_department.
SELECT
  d.college_code,
  d.department_code,
  d.department_name,
  COUNT(*)                                                                          AS scored_items,
  MIN(p.score_pct)                                                                  AS min_score_pct,
  ROUND(percentile_cont(0.25) WITHIN GROUP (ORDER BY CAST(p.score_pct AS DOUBLE)), 6) AS p25_score_pct,
  ROUND(percentile_cont(0.5)  WITHIN GROUP (ORDER BY CAST(p.score_pct AS DOUBLE)), 6) AS median_score_pct,
  ROUND(percentile_cont(0.75) WITHIN GROUP (ORDER BY CAST(p.score_pct AS DOUBLE)), 6) AS p75_score_pct,
  MAX(p.score_pct)                                                                  AS max_score_pct,
  ROUND(CAST(SUM(p.score_pct) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE), 6)             AS mean_score_pct
FROM fact_performance p
JOIN dim_course c     ON c.course_key = p.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE p.score_pct IS NOT NULL
  AND NOT p.is_missing
GROUP BY d.college_code, d.department_code, d.department_name
ORDER BY d.department_code;
