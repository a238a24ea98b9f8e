-- Distribution of the q2 agreement answer in course evaluations (json ->> text)
SELECT answers_json::json ->> 'q2' AS q2_answer,
       count(*) AS responses
FROM fact_feedback
WHERE survey_type = 'COURSE_EVAL'
GROUP BY 1
ORDER BY q2_answer;

-- Average q1 score and weekly hours by college (casts of extracted JSON text)
SELECT d.college_code,
       count(*),
       round(avg((f.answers_json::json ->> 'q1')::int), 3),
       round(avg((f.answers_json::json ->> 'hours_per_week')::numeric), 2),
       max((f.answers_json::json ->> 'hours_per_week')::int)
FROM fact_feedback f
JOIN dim_course c ON c.course_key = f.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY d.college_code
ORDER BY d.college_code;

-- jsonb -> returns typed JSON values: recommend flag by q1 score
SELECT answers_json::jsonb -> 'recommend',
       answers_json::jsonb -> 'q1',
       count(*)
FROM fact_feedback
WHERE survey_type = 'COURSE_EVAL'
GROUP BY 1, 2;

-- Key inventory per survey type with jsonb_each and jsonb_typeof in a LATERAL join
SELECT f.survey_type,
       e.key,
       jsonb_typeof(e.value) AS value_type,
       count(*) AS occurrences
FROM fact_feedback f
CROSS JOIN LATERAL jsonb_each(f.answers_json::jsonb) AS e
GROUP BY f.survey_type, e.key, jsonb_typeof(e.value)
ORDER BY f.survey_type, e.key, value_type;

-- #> and #>> path extraction, including a nested path on a built object
SELECT response_id,
       answers_json::jsonb #> '{hours_per_week}',
       answers_json::jsonb #>> '{q2}',
       jsonb_build_object('survey', survey_type, 'answers', answers_json::jsonb) #>> '{answers,q1}',
       jsonb_build_object('survey', survey_type, 'answers', answers_json::jsonb) #> '{answers}' -> 'recommend'
FROM fact_feedback
WHERE section_key = 1
ORDER BY response_id
LIMIT 10;

-- Recommendation rate per term using jsonb @> containment
SELECT t.term_code,
       count(*) AS responses,
       count(*) FILTER (WHERE f.answers_json::jsonb @> '{"recommend": true}') AS recommenders,
       round(100.0 * count(*) FILTER (WHERE f.answers_json::jsonb @> '{"recommend": true}') / count(*), 1) AS recommend_pct
FROM fact_feedback f
JOIN dim_term t ON t.term_key = f.term_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY t.term_code
ORDER BY t.term_code;

-- Key existence operators ?, ?| and ?& by survey type
SELECT survey_type,
       count(*) FILTER (WHERE answers_json::jsonb ? 'reason'),
       count(*) FILTER (WHERE answers_json::jsonb ?| ARRAY['belonging', 'satisfaction']),
       count(*) FILTER (WHERE answers_json::jsonb ?& ARRAY['q1', 'q2', 'recommend']),
       count(*) FILTER (WHERE answers_json::jsonb ? 'recommend')
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- Exit survey answers flattened with json_each_text in FROM
SELECT e.key,
       e.value,
       count(*)
FROM fact_feedback f,
     json_each_text(f.answers_json::json) AS e
WHERE f.survey_type = 'EXIT'
  AND e.key IN ('next_step', 'reason')
GROUP BY e.key, e.value
ORDER BY e.key, e.value;

-- Ordered json_agg of distinct q2 answers and jsonb_agg of ratings per term type
SELECT t.term_type,
       json_agg(DISTINCT f.answers_json::json ->> 'q2' ORDER BY f.answers_json::json ->> 'q2') AS q2_values,
       jsonb_agg(DISTINCT f.overall_rating ORDER BY f.overall_rating) AS overall_ratings
FROM fact_feedback f
JOIN dim_term t ON t.term_key = f.term_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY t.term_type
ORDER BY t.term_type;

-- Per-college jsonb_agg of department summaries built with jsonb_build_object
SELECT s.college_code,
       jsonb_agg(jsonb_build_object('dept', s.department_code, 'responses', s.responses, 'avg_q1', s.avg_q1) ORDER BY s.department_code)
FROM (
  SELECT d.college_code,
         d.department_code,
         count(*) AS responses,
         round(avg((f.answers_json::jsonb ->> 'q1')::int), 2) AS avg_q1
  FROM fact_feedback f
  JOIN dim_course c ON c.course_key = f.course_key
  JOIN dim_department d ON d.department_key = c.department_key
  WHERE d.division = 'PROFESSIONAL'
  GROUP BY d.college_code, d.department_code
) s
GROUP BY s.college_code
ORDER BY s.college_code;

-- One json_build_object document per engineering department with nested counts
SELECT d.department_code,
       json_build_object('department', d.department_code,
                         'name', d.department_name,
                         'responses', count(*),
                         'recommend', count(*) FILTER (WHERE (f.answers_json::json ->> 'recommend')::boolean),
                         'q2', json_build_object('agree', count(*) FILTER (WHERE f.answers_json::json ->> 'q2' = 'agree'),
                                                 'neutral', count(*) FILTER (WHERE f.answers_json::json ->> 'q2' = 'neutral'))) AS summary
FROM fact_feedback f
JOIN dim_course c ON c.course_key = f.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.college_code = 'COE'
GROUP BY d.department_code, d.department_name
ORDER BY d.department_code;

-- json_object_agg mapping each q2 answer to its count, per delivery mode
SELECT x.delivery_mode,
       json_object_agg(x.q2, x.n ORDER BY x.q2),
       jsonb_object_agg(x.q2, x.n)
FROM (
  SELECT s.delivery_mode,
         f.answers_json::json ->> 'q2' AS q2,
         count(*) AS n
  FROM fact_feedback f
  JOIN dim_section s ON s.section_key = f.section_key
  GROUP BY 1, 2
) x
GROUP BY x.delivery_mode
ORDER BY x.delivery_mode;

-- row_to_json over a term subquery (dates and integers become JSON)
SELECT t.term_code,
       row_to_json(t) AS term_doc
FROM (
  SELECT term_code, term_name, start_date, census_date - start_date AS census_day, term_type = 'SUMMER' AS is_summer
  FROM dim_term
  WHERE academic_year = '2023-24'
) t
ORDER BY term_code;

-- to_json / to_jsonb on simple literal values
SELECT to_json('Fall 2023'::text) AS text_json,
       to_json(42) AS int_json,
       to_json(true) AS bool_json,
       to_json(DATE '2023-08-28') AS date_json,
       to_jsonb(3.50::numeric) AS numeric_jsonb,
       to_json(ARRAY[1, 2, 3]) AS array_json,
       to_json('say "hi"'::text) AS escaped_json;

-- json_array_length of aggregated arrays: number of rated sections per instructor rank
SELECT i.academic_rank,
       json_array_length(json_agg(DISTINCT f.section_key)) AS sections_rated,
       jsonb_array_length(jsonb_agg(f.response_id)) AS responses
FROM fact_feedback f
JOIN dim_instructor i ON i.instructor_key = f.instructor_key
GROUP BY i.academic_rank
ORDER BY i.academic_rank;

-- Sorted key list of each survey type via jsonb_object_keys
SELECT f.survey_type,
       string_agg(DISTINCT k, ',' ORDER BY k),
       count(DISTINCT k)
FROM fact_feedback f,
     jsonb_object_keys(f.answers_json::jsonb) AS k
GROUP BY f.survey_type
ORDER BY f.survey_type;

-- Recommend rate (JSON boolean) by course level and gateway flag
SELECT c.level_group,
       c.is_gateway,
       count(*) AS responses,
       round(avg(((f.answers_json::jsonb ->> 'recommend')::boolean)::int), 3) AS recommend_rate
FROM fact_feedback f
JOIN dim_course c ON c.course_key = f.course_key
GROUP BY c.level_group, c.is_gateway
ORDER BY c.level_group, c.is_gateway;

-- jsonb editing: jsonb_set, || merge, key removal and jsonb_strip_nulls
SELECT response_id,
       jsonb_set(answers_json::jsonb, '{q1}', to_jsonb(overall_rating)),
       answers_json::jsonb || jsonb_build_object('term', term_key),
       answers_json::jsonb - 'recommend' - 'q2',
       jsonb_strip_nulls(jsonb_build_object('rating', overall_rating, 'sentiment', sentiment_label))
FROM fact_feedback
WHERE section_key = 2
ORDER BY response_id
LIMIT 6;

-- Literal JSON operators and functions
SELECT '{"a":[1,2,{"b":3}]}'::jsonb #>> '{a,2,b}',
       '{"a":[1,2,{"b":3}]}'::json #> '{a,1}',
       json_array_length('[1,2,3]'),
       jsonb_typeof('null'),
       '[1,2,3]'::jsonb @> '[3,1]',
       '{"a":1,"b":2}'::jsonb ? 'b',
       '{"x": {"y": "z"}}'::json -> 'x' ->> 'y',
       '[10,20,30]'::jsonb -> -1;

-- Exit survey next steps by class level, with average satisfaction
SELECT f.answers_json::json ->> 'next_step' AS next_step,
       s.class_level,
       count(*) AS respondents,
       round(avg((f.answers_json::json ->> 'satisfaction')::int), 2) AS avg_satisfaction
FROM fact_feedback f
JOIN dim_student s ON s.student_key = f.student_key
WHERE f.survey_type = 'EXIT'
GROUP BY 1, 2
ORDER BY next_step, s.class_level;

-- Student experience: belonging and re-enrolment intent by financial stress level
SELECT answers_json::jsonb ->> 'financial_stress',
       count(*),
       round(avg((answers_json::jsonb -> 'belonging')::numeric), 2),
       count(*) FILTER (WHERE answers_json::jsonb -> 'would_enroll_again' = 'true'::jsonb),
       count(DISTINCT answers_json::jsonb ->> 'advising')
FROM fact_feedback
WHERE survey_type = 'STUDENT_EXPERIENCE'
GROUP BY 1
ORDER BY 1;

-- jsonb equality on extracted values: top q1 scores per term type
SELECT t.term_type,
       count(*) FILTER (WHERE f.answers_json::jsonb -> 'q1' = '5'::jsonb) AS q1_top,
       count(*) FILTER (WHERE f.answers_json::jsonb -> 'q2' = '"strongly_agree"'::jsonb) AS q2_strong,
       count(*) AS responses
FROM fact_feedback f
JOIN dim_term t ON t.term_key = f.term_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY t.term_type
ORDER BY t.term_type;

-- jsonpath: heavy-workload responses per department division
SELECT d.division,
       count(*) FILTER (WHERE jsonb_path_exists(f.answers_json::jsonb, '$.hours_per_week ? (@ > 10)')),
       max(jsonb_path_query_first(f.answers_json::jsonb, '$.hours_per_week')::int),
       count(*)
FROM fact_feedback f
JOIN dim_department d ON d.department_key = (SELECT c.department_key FROM dim_course c WHERE c.course_key = f.course_key)
GROUP BY d.division
ORDER BY d.division;

-- Instructor rating ranges as json_build_array / jsonb_build_object for Mathematics
SELECT i.instructor_id,
       json_build_array(min(f.instructor_rating), max(f.instructor_rating), count(*)),
       jsonb_build_object('id', i.instructor_id, 'avg_q1', round(avg((f.answers_json::jsonb ->> 'q1')::int), 2), 'current', i.is_current)
FROM fact_feedback f
JOIN dim_instructor i ON i.instructor_key = f.instructor_key
JOIN dim_department d ON d.department_key = i.department_key
WHERE d.department_code = 'MATH'
GROUP BY i.instructor_id, i.is_current
ORDER BY i.instructor_id, i.is_current;

-- Average of every numeric answer key via jsonb_each and jsonb-to-numeric casts
SELECT f.survey_type,
       e.key,
       count(*) AS answers,
       round(avg(e.value::numeric), 3) AS avg_value,
       min(e.value::numeric) AS min_value,
       max(e.value::numeric) AS max_value
FROM fact_feedback f
CROSS JOIN LATERAL jsonb_each(f.answers_json::jsonb) AS e
WHERE jsonb_typeof(e.value) = 'number'
GROUP BY f.survey_type, e.key
ORDER BY f.survey_type, e.key;

-- json_to_record typed extraction: q1 agreement versus the structured course rating
SELECT f.course_rating,
       count(*),
       round(avg(r.q1), 3),
       count(*) FILTER (WHERE r.recommend),
       sum(r.hours_per_week)
FROM fact_feedback f,
     json_to_record(f.answers_json::json) AS r(q1 int, q2 text, recommend boolean, hours_per_week int)
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY f.course_rating
ORDER BY f.course_rating;

-- Weekly hours by delivery mode with jsonb ->> and percentile over extracted values
SELECT s.delivery_mode,
       count(*) AS responses,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY (f.answers_json::jsonb ->> 'hours_per_week')::int) AS median_hours,
       round(avg((f.answers_json::jsonb ->> 'hours_per_week')::int), 2) AS avg_hours
FROM fact_feedback f
JOIN dim_section s ON s.section_key = f.section_key
GROUP BY s.delivery_mode
ORDER BY s.delivery_mode;
