-- KPI 21: Class-size distribution in standard buckets per term.
-- Answers: how many sections fall in each class-size bucket (Common Data Set style:
--   1-9, 10-19, 20-29, 30-39, 40-49, 50-99, 100+) in each term, where class size = distinct
--   students enrolled and not DROPPED; also the students in those sections and each bucket's
--   share of the term's sections. Sections with no enrollment are not counted.
-- Grain: one row per term x size bucket (bucket_order 1..7 sorts the buckets).
-- Reads: fact_enrollment, dim_section, dim_term.
WITH section_size AS (
  SELECT s.term_key, s.section_key, COUNT(DISTINCT e.student_id) AS class_size
  FROM fact_enrollment e
  JOIN dim_section s ON s.section_key = e.section_key
  WHERE e.enrollment_status <> 'DROPPED'
  GROUP BY s.term_key, s.section_key
),
bucketed AS (
  SELECT
    ss.term_key,
    ss.class_size,
    CASE WHEN ss.class_size < 10  THEN 1
         WHEN ss.class_size < 20  THEN 2
         WHEN ss.class_size < 30  THEN 3
         WHEN ss.class_size < 40  THEN 4
         WHEN ss.class_size < 50  THEN 5
         WHEN ss.class_size < 100 THEN 6
         ELSE 7 END AS bucket_order
  FROM section_size ss
),
per_bucket AS (
  SELECT b.term_key, b.bucket_order, COUNT(*) AS sections, SUM(b.class_size) AS students
  FROM bucketed b
  GROUP BY b.term_key, b.bucket_order
),
per_term AS (
  SELECT term_key, SUM(sections) AS term_sections FROM per_bucket GROUP BY term_key
)
SELECT
  t.term_key,
  t.term_name,
  pb.bucket_order,
  CASE pb.bucket_order WHEN 1 THEN '1-9' WHEN 2 THEN '10-19' WHEN 3 THEN '20-29'
       WHEN 4 THEN '30-39' WHEN 5 THEN '40-49' WHEN 6 THEN '50-99' ELSE '100+' END AS size_bucket,
  pb.sections,
  pb.students,
  ROUND(CAST(pb.sections AS DOUBLE) / CAST(pt.term_sections AS DOUBLE), 6) AS share_of_sections
FROM per_bucket pb
JOIN per_term pt ON pt.term_key = pb.term_key
JOIN dim_term t  ON t.term_key = pb.term_key
ORDER BY t.term_key, pb.bucket_order;
