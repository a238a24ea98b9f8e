-- enrollments by division, by term type and overall with GROUPING SETS and grouping()
SELECT d.division, t.term_type, count(*) AS enrollments, grouping(d.division, t.term_type) AS grp
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY GROUPING SETS ((d.division), (t.term_type), ())
ORDER BY grp, d.division, t.term_type;

-- credits earned per college and department with ROLLUP subtotals
SELECT d.college_code, d.department_code, sum(e.credit_hours_earned), grouping(d.college_code), grouping(d.department_code)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE d.division IN ('HEALTH', 'HUMANITIES')
GROUP BY ROLLUP (d.college_code, d.department_code)
ORDER BY 1 NULLS LAST, 2 NULLS LAST;

-- sections per delivery mode and level group with CUBE and a grouping bitmask
SELECT s.delivery_mode,
       c.level_group,
       count(*) AS sections,
       sum(s.capacity) AS seats,
       grouping(s.delivery_mode, c.level_group) AS grouping_id
FROM dim_section s
JOIN dim_course c ON c.course_key = s.course_key
GROUP BY CUBE (s.delivery_mode, c.level_group)
ORDER BY grouping_id, s.delivery_mode, c.level_group;

-- degrees per academic year and degree level with ROLLUP, labelling subtotal rows via grouping()
SELECT CASE WHEN grouping(t.academic_year) = 1 THEN 'ALL YEARS' ELSE t.academic_year END AS academic_year,
       CASE WHEN grouping(f.degree_level) = 1 THEN 'ALL LEVELS' ELSE f.degree_level END AS degree_level,
       count(*) AS degrees,
       round(avg(f.final_cum_gpa), 3) AS avg_gpa
FROM fact_degree f
JOIN dim_term t ON t.term_key = f.conferral_term_key
GROUP BY ROLLUP (t.academic_year, f.degree_level)
ORDER BY 1, 2;

-- top 3 courses per Natural Sciences department with a LATERAL subquery
SELECT d.department_code, top.course_id, top.enrollments
FROM dim_department d
CROSS JOIN LATERAL (
  SELECT c.course_id, count(*) AS enrollments
  FROM fact_enrollment e
  JOIN dim_course c ON c.course_key = e.course_key
  WHERE e.department_key = d.department_key
  GROUP BY c.course_id
  ORDER BY count(*) DESC, c.course_id
  LIMIT 3
) top
WHERE d.college_code = 'CNS'
ORDER BY d.department_code, top.enrollments DESC, top.course_id;

-- latest section offered per term type, including term types with no match, via LEFT JOIN LATERAL
SELECT tt.term_type, last_sec.section_id, last_sec.capacity
FROM (VALUES ('FALL'), ('SPRING'), ('SUMMER'), ('WINTER')) AS tt(term_type)
LEFT JOIN LATERAL (
  SELECT s.section_id, s.capacity
  FROM dim_section s
  JOIN dim_term t ON t.term_key = s.term_key
  WHERE t.term_type = tt.term_type
  ORDER BY s.term_key DESC, s.section_id DESC
  LIMIT 1
) last_sec ON true
ORDER BY tt.term_type;

-- instructional days per month of 2024 from a recursive month-number generator
WITH RECURSIVE months(m) AS (
  SELECT 1
  UNION ALL
  SELECT m + 1 FROM months WHERE m < 12
)
SELECT months.m AS month_num, count(dd.date_key) AS instructional_days
FROM months
LEFT JOIN dim_date dd
  ON dd.month_num = months.m AND dd.calendar_year = 2024 AND dd.is_instructional_day
GROUP BY months.m
ORDER BY months.m;

-- walk the fall terms by term_seq with a recursive CTE, carrying a path of term codes
WITH RECURSIVE falls AS (
  SELECT t.term_seq, t.term_code, 1 AS step, t.term_code::text AS path
  FROM dim_term t
  WHERE t.term_seq = 1
  UNION ALL
  SELECT t.term_seq, t.term_code, f.step + 1, f.path || ' > ' || t.term_code
  FROM falls f
  JOIN dim_term t ON t.term_seq = f.term_seq + 3
)
SELECT step, term_seq, term_code, path
FROM falls
ORDER BY step;

-- Fibonacci numbers from a literal recursive CTE
WITH RECURSIVE fib(n, a, b) AS (
  SELECT 1, 0::bigint, 1::bigint
  UNION ALL
  SELECT n + 1, b, a + b FROM fib WHERE n < 20
)
SELECT n, a FROM fib
ORDER BY n;

-- departments above the average department DFW rate, using one CTE twice
WITH dept AS (
  SELECT d.department_code, d.college_code, avg(CASE WHEN e.is_dfw THEN 1.0 ELSE 0 END) AS dfw_rate
  FROM fact_enrollment e
  JOIN dim_department d ON d.department_key = e.department_key
  GROUP BY d.department_code, d.college_code
)
SELECT dept.college_code, dept.department_code, round(dept.dfw_rate, 4) AS dfw_rate
FROM dept
WHERE dept.dfw_rate > (SELECT avg(dfw_rate) FROM dept)
ORDER BY dept.college_code, dept.department_code;

-- enrollment per term against the same term a year earlier, joining a CTE to itself
WITH per_term AS (
  SELECT t.term_key, t.term_code, t.term_seq, count(*) AS enrollments
  FROM fact_enrollment e
  JOIN dim_term t ON t.term_key = e.term_key
  GROUP BY t.term_key, t.term_code, t.term_seq
)
SELECT cur.term_code, cur.enrollments, prev.term_code, prev.enrollments, cur.enrollments - prev.enrollments
FROM per_term cur
JOIN per_term prev ON prev.term_seq = cur.term_seq - 3
ORDER BY cur.term_seq;

-- each division's share of enrollments using an uncorrelated scalar subquery
SELECT d.division,
       count(*) AS enrollments,
       (SELECT count(*) FROM fact_enrollment) AS all_enrollments,
       round(100.0 * count(*) / (SELECT count(*) FROM fact_enrollment), 2) AS pct
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- course and program counts per Engineering department with correlated scalar subqueries
SELECT d.department_code,
       (SELECT count(*) FROM dim_course c WHERE c.department_key = d.department_key),
       (SELECT count(*) FROM dim_program p WHERE p.department_key = d.department_key),
       (SELECT max(c.course_level) FROM dim_course c WHERE c.department_key = d.department_key)
FROM dim_department d
WHERE d.college_code = 'COE'
ORDER BY d.department_code;

-- lower-division courses whose average score beats their own department's average (correlated subquery)
SELECT c.course_id, round(avg(e.final_score_pct), 2) AS avg_score
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
WHERE c.level_group = 'LOWER_DIV'
GROUP BY c.course_id, c.department_key
HAVING avg(e.final_score_pct) > (
  SELECT avg(e2.final_score_pct)
  FROM fact_enrollment e2
  WHERE e2.department_key = c.department_key
)
ORDER BY c.course_id;

-- instructors (current versions) who taught at least one summer section, via EXISTS
SELECT i.academic_rank, count(*)
FROM dim_instructor i
WHERE i.is_current
  AND EXISTS (
    SELECT 1
    FROM dim_section s
    JOIN dim_term t ON t.term_key = s.term_key
    JOIN dim_instructor iv ON iv.instructor_key = s.primary_instructor_key
    WHERE iv.instructor_id = i.instructor_id AND t.term_type = 'SUMMER'
  )
GROUP BY i.academic_rank
ORDER BY i.academic_rank;

-- courses never offered online, via NOT EXISTS
SELECT c.course_id, c.level_group, c.grading_basis
FROM dim_course c
WHERE NOT EXISTS (
  SELECT 1 FROM dim_section s WHERE s.course_key = c.course_key AND s.delivery_mode = 'ONLINE'
)
ORDER BY c.course_id;

-- programs that never conferred a degree, via NOT EXISTS
SELECT p.program_code, p.degree_level
FROM dim_program p
WHERE NOT EXISTS (SELECT 1 FROM fact_degree f WHERE f.program_key = p.program_key)
  AND p.degree_level IN ('BACHELOR', 'MASTER')
ORDER BY p.program_code;

-- enrollment statistics restricted to departments that own a gateway course (IN subquery)
SELECT d.division, count(*), count(DISTINCT e.student_id)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE e.department_key IN (SELECT c.department_key FROM dim_course c WHERE c.is_gateway AND c.level_group = 'LOWER_DIV')
GROUP BY d.division
ORDER BY d.division;

-- sections whose instructor is not an adjunct or TA (NOT IN over a non-null column)
SELECT s.delivery_mode, count(*)
FROM dim_section s
WHERE s.primary_instructor_key NOT IN (
  SELECT i.instructor_key FROM dim_instructor i WHERE i.academic_rank IN ('ADJUNCT', 'TA')
)
GROUP BY s.delivery_mode
ORDER BY s.delivery_mode;

-- courses whose every enrollment scored above 50, and courses with any perfect score (ALL / ANY)
SELECT c.course_id,
       c.course_key = ANY (SELECT e.course_key FROM fact_enrollment e WHERE e.final_score_pct >= 99.5) AS has_near_perfect
FROM dim_course c
WHERE 50 < ALL (SELECT e.final_score_pct FROM fact_enrollment e WHERE e.course_key = c.course_key AND e.final_score_pct IS NOT NULL)
  AND c.department_key <= 10
ORDER BY c.course_id;

-- department codes and course subject codes merged with UNION
SELECT d.department_code AS code FROM dim_department d WHERE d.division = 'HEALTH'
UNION
SELECT c.subject_code FROM dim_course c JOIN dim_department d ON d.department_key = c.department_key WHERE d.division = 'HEALTH'
ORDER BY code;

-- row counts of several fact tables stacked with UNION ALL
SELECT 'enrollment' AS fact, count(*) AS row_count FROM fact_enrollment
UNION ALL
SELECT 'performance', count(*) FROM fact_performance
UNION ALL
SELECT 'attendance', count(*) FROM fact_attendance
UNION ALL
SELECT 'student_term', count(*) FROM fact_student_term
UNION ALL
SELECT 'degree', count(*) FROM fact_degree
ORDER BY fact;

-- graduates who were also enrolled in Spring 2025 (INTERSECT), counted
SELECT count(*)
FROM (
  SELECT f.student_id FROM fact_degree f
  INTERSECT
  SELECT e.student_id FROM fact_enrollment e WHERE e.term_key = 202420
) both_sets;

-- courses offered in both Fall 2023 and Fall 2024, counting duplicates with INTERSECT ALL
SELECT count(*) AS section_pairs, count(DISTINCT course_key) AS courses
FROM (
  SELECT s.course_key FROM dim_section s WHERE s.term_key = 202310
  INTERSECT ALL
  SELECT s.course_key FROM dim_section s WHERE s.term_key = 202410
) x;

-- catalog courses not offered in Fall 2024 (EXCEPT)
SELECT c.course_id FROM dim_course c
EXCEPT
SELECT c.course_id FROM dim_section s JOIN dim_course c ON c.course_key = s.course_key WHERE s.term_key = 202410;

-- delivery modes with more sections in Fall 2024 than Fall 2023 (EXCEPT ALL over a table column)
SELECT delivery_mode, count(*)
FROM (
  SELECT s.delivery_mode FROM dim_section s WHERE s.term_key = 202410
  EXCEPT ALL
  SELECT s.delivery_mode FROM dim_section s WHERE s.term_key = 202310
) x
GROUP BY delivery_mode
ORDER BY delivery_mode;

-- multiset difference of literal VALUES lists
(VALUES (1), (1), (1), (2)) EXCEPT ALL (VALUES (1), (2));

-- multiset intersection of literal VALUES lists
(VALUES (1), (1), (2), (3), (3)) INTERSECT ALL (VALUES (1), (3), (3), (3), (4));

-- set-operation precedence with literals: INTERSECT binds tighter than UNION, EXCEPT is left-associative
SELECT 1 UNION ALL SELECT 1 UNION SELECT 2 INTERSECT SELECT 2
EXCEPT SELECT 3;

-- UNION of an integer column and a numeric column resolves to numeric
SELECT c.course_level FROM dim_course c
UNION
SELECT c.credit_hours FROM dim_course c
ORDER BY 1;

-- UNION ALL of smallint and numeric values kept as a multiset
SELECT DISTINCT s.meetings_per_week FROM dim_section s
UNION ALL
SELECT DISTINCT c.credit_hours FROM dim_course c;

-- literal integer and decimal UNION with ORDER BY
SELECT 1 AS v UNION SELECT 2.5 UNION SELECT 2 ORDER BY v;

-- term types mapped to a display order with a VALUES list join
SELECT o.sort_order, t.term_type, count(*) AS terms, min(t.term_code) AS first_term
FROM dim_term t
JOIN (VALUES ('FALL', 1), ('SPRING', 2), ('SUMMER', 3)) AS o(term_type, sort_order) ON o.term_type = t.term_type
GROUP BY o.sort_order, t.term_type
ORDER BY o.sort_order;

-- a standalone VALUES list with mixed literal types and ORDER BY
VALUES (3, 'c', 1.5), (1, 'a', NULL), (2, 'b', 0.25)
ORDER BY 1;

-- highest-enrollment course per Humanities department with DISTINCT ON
SELECT DISTINCT ON (d.department_code) d.department_code, c.course_id, count(*) AS enrollments
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.division = 'HUMANITIES'
GROUP BY d.department_code, c.course_id
ORDER BY d.department_code, enrollments DESC, c.course_id;

-- most recent term of each term type with DISTINCT ON
SELECT DISTINCT ON (t.term_type) t.term_type, t.term_code, t.start_date
FROM dim_term t
ORDER BY t.term_type, t.term_key DESC;

-- second page of courses by enrollment with LIMIT and OFFSET
SELECT c.course_id, count(*) AS enrollments
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.course_id
ORDER BY enrollments DESC, c.course_id
LIMIT 10 OFFSET 10;

-- five programs with the most degrees using FETCH FIRST
SELECT p.program_name, count(*)
FROM fact_degree f
JOIN dim_program p ON p.program_key = f.program_key
GROUP BY p.program_name
ORDER BY 2 DESC, 1
FETCH FIRST 5 ROWS ONLY;

-- the next five sections by capacity after skipping five, using OFFSET ... FETCH NEXT
SELECT s.section_id, s.capacity
FROM dim_section s
WHERE s.term_key = 202410 AND s.delivery_mode = 'HYBRID'
ORDER BY s.capacity DESC, s.section_id
OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY;

-- degrees per honors band with the NULL band first
SELECT f.honors, count(*) AS degrees, min(f.final_cum_gpa) AS min_gpa
FROM fact_degree f
GROUP BY f.honors
ORDER BY f.honors NULLS FIRST;

-- a student's terms by term GPA, NULL GPAs last even when sorting descending
SELECT st.term_key, st.term_gpa, st.credits_attempted
FROM fact_student_term st
WHERE st.student_id IN ('S0000002')
ORDER BY st.term_gpa DESC NULLS LAST, st.term_key;

-- enrollments per final-score band defined by a CASE expression in GROUP BY
SELECT CASE
         WHEN e.final_score_pct IS NULL THEN 'no score'
         WHEN e.final_score_pct >= 90 THEN '90-100'
         WHEN e.final_score_pct >= 70 THEN '70-89'
         WHEN e.final_score_pct >= 50 THEN '50-69'
         ELSE 'below 50'
       END AS score_band,
       count(*) AS enrollments,
       round(avg(e.grade_points), 3) AS avg_grade_points
FROM fact_enrollment e
GROUP BY 1
ORDER BY score_band;

-- students and average term GPA per high-school GPA band (CASE repeated in GROUP BY)
SELECT CASE WHEN s.hs_gpa IS NULL THEN 'unknown' WHEN s.hs_gpa < 3.0 THEN 'under 3.0' WHEN s.hs_gpa < 3.5 THEN '3.0-3.49' ELSE '3.5+' END,
       count(DISTINCT st.student_id),
       round(avg(st.term_gpa), 3)
FROM fact_student_term st
JOIN dim_student s ON s.student_key = st.student_key
GROUP BY CASE WHEN s.hs_gpa IS NULL THEN 'unknown' WHEN s.hs_gpa < 3.0 THEN 'under 3.0' WHEN s.hs_gpa < 3.5 THEN '3.0-3.49' ELSE '3.5+' END
ORDER BY 1;

-- every term with its section count, including a term with no sections (LEFT JOIN)
SELECT t.term_code, count(s.section_key) AS sections, coalesce(sum(s.capacity), 0) AS seats
FROM dim_term t
LEFT JOIN dim_section s ON s.term_key = t.term_key
GROUP BY t.term_code
ORDER BY t.term_code;

-- departments and their summer sections with a RIGHT JOIN (departments without summer sections kept)
SELECT d.department_code, count(x.section_key)
FROM (
  SELECT s.section_key, c.department_key
  FROM dim_section s
  JOIN dim_course c ON c.course_key = s.course_key
  JOIN dim_term t ON t.term_key = s.term_key
  WHERE t.term_type = 'SUMMER'
) x
RIGHT JOIN dim_department d ON d.department_key = x.department_key
WHERE d.division = 'STEM'
GROUP BY d.department_code
ORDER BY d.department_code;

-- courses whose section count changed between Summer 2023 and Summer 2024, matched with a FULL JOIN
SELECT coalesce(a.course_id, b.course_id) AS course_id, a.sections AS su2023_sections, b.sections AS su2024_sections
FROM (
  SELECT c.course_id, count(*) AS sections FROM dim_section s JOIN dim_course c ON c.course_key = s.course_key WHERE s.term_key = 202230 GROUP BY c.course_id
) a
FULL JOIN (
  SELECT c.course_id, count(*) AS sections FROM dim_section s JOIN dim_course c ON c.course_key = s.course_key WHERE s.term_key = 202330 GROUP BY c.course_id
) b ON a.course_id = b.course_id
WHERE a.course_id IS NULL OR b.course_id IS NULL OR a.sections <> b.sections
ORDER BY 1;

-- enrollments joined to courses and terms with USING
SELECT term_type, level_group, count(*), sum(credit_hours_attempted)
FROM fact_enrollment
JOIN dim_course USING (course_key, department_key)
JOIN dim_term USING (term_key)
GROUP BY term_type, level_group
ORDER BY term_type, level_group;

-- multi-section courses in academic year 2024-25 found with a self-join of sections
SELECT a.term_key, c.course_id, count(*) AS section_pairs, min(a.section_number) AS first_section, max(b.section_number) AS last_section
FROM dim_section a
JOIN dim_section b ON b.course_key = a.course_key AND b.term_key = a.term_key AND b.section_key > a.section_key
JOIN dim_course c ON c.course_key = a.course_key
WHERE a.term_key IN (202410, 202420)
GROUP BY a.term_key, c.course_id
ORDER BY a.term_key, c.course_id;

-- instructor promotions and FTE changes found by self-joining consecutive SCD2 versions
SELECT a.instructor_id, a.academic_rank AS old_rank, b.academic_rank AS new_rank, a.fte AS old_fte, b.fte AS new_fte, b.effective_from
FROM dim_instructor a
JOIN dim_instructor b ON b.instructor_id = a.instructor_id AND b.effective_from = a.effective_to
ORDER BY a.instructor_id, b.effective_from;

-- division by term type matrix including empty cells via CROSS JOIN and LEFT JOIN
SELECT dv.division, tt.term_type, count(e.enrollment_id) AS enrollments
FROM (SELECT DISTINCT division FROM dim_department) dv
CROSS JOIN (SELECT DISTINCT term_type FROM dim_term) tt
LEFT JOIN dim_department d ON d.division = dv.division
LEFT JOIN fact_enrollment e ON e.department_key = d.department_key
  AND e.term_key IN (SELECT t.term_key FROM dim_term t WHERE t.term_type = tt.term_type AND t.academic_year = '2024-25')
GROUP BY dv.division, tt.term_type
ORDER BY dv.division, tt.term_type;

-- calendar days per term using a non-equi (BETWEEN) join of dates to terms
SELECT t.term_code,
       count(*) AS days,
       count(*) FILTER (WHERE dd.day_of_week <= 5) AS weekdays,
       count(*) FILTER (WHERE dd.term_key IS DISTINCT FROM t.term_key) AS mismatched
FROM dim_term t
JOIN dim_date dd ON dd.full_date BETWEEN t.start_date AND t.end_date
GROUP BY t.term_code
ORDER BY t.term_code;

-- sections joined to their term with NATURAL JOIN (term_key is the only shared column)
SELECT term_code, delivery_mode, count(*)
FROM dim_section NATURAL JOIN dim_term
WHERE academic_year = '2024-25'
GROUP BY term_code, delivery_mode;
