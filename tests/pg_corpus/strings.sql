-- upper/lower/initcap on engineering department and college names
SELECT department_code,
       upper(department_name),
       lower(college_name),
       initcap(lower(division)),
       initcap(replace(lower(department_name), ' and ', ' AND '))
FROM dim_department
WHERE college_code = 'COE'
ORDER BY department_code;

-- Student names whose byte length differs from character length (accented names)
SELECT DISTINCT last_name,
       first_name,
       length(last_name) AS last_len,
       char_length(first_name) AS first_chars,
       octet_length(first_name) AS first_bytes,
       octet_length(last_name) AS last_bytes
FROM dim_student
WHERE octet_length(last_name) <> char_length(last_name)
   OR octet_length(first_name) <> char_length(first_name)
ORDER BY last_name, first_name;

-- Comment length statistics by sentiment label
SELECT sentiment_label,
       count(comment_text) AS comments,
       round(avg(char_length(comment_text)), 1) AS avg_chars,
       max(octet_length(comment_text)) AS max_bytes,
       min(length(comment_text)) AS min_chars
FROM fact_feedback
WHERE comment_text IS NOT NULL
GROUP BY sentiment_label
ORDER BY sentiment_label;

-- substring with FROM/FOR, the comma form and a POSIX regex pattern
SELECT section_id,
       substring(section_id FROM 1 FOR position('-' IN section_id) - 1),
       substring(section_id, 6, 4),
       substring(section_id FROM '\d{4}[A-Z]{2}$'),
       substring(section_id FROM '-(\d{3})-')
FROM dim_section
WHERE course_key = 30
  AND term_key IN (202310, 202320)
ORDER BY section_id;

-- Consistency check: section number embedded in section_id equals section_number
SELECT t.term_type,
       count(*) AS sections,
       count(*) FILTER (WHERE substring(s.section_id FROM '-(\d{3})-') = s.section_number) AS number_matches,
       count(*) FILTER (WHERE split_part(s.section_id, '-', -1) = t.term_code) AS term_code_matches
FROM dim_section s
JOIN dim_term t ON t.term_key = s.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- Local part of instructor emails located with strpos and position
SELECT instructor_id,
       email,
       strpos(email, '@') AS at_pos,
       position('.' IN email) AS first_dot,
       substring(email FROM 1 FOR strpos(email, '@') - 1) AS local_part,
       lower(first_name || '.' || last_name) = split_part(regexp_replace(email, '[0-9]+@', '@'), '@', 1) AS matches_name
FROM dim_instructor
WHERE is_current
ORDER BY instructor_id
LIMIT 15;

-- Email domains of current students and instructors via split_part
SELECT split_part(email, '@', 2),
       count(*)
FROM (
  SELECT email FROM dim_student WHERE is_current
  UNION ALL
  SELECT email FROM dim_instructor WHERE is_current
) people
GROUP BY 1
ORDER BY 1;

-- Fixed-width text report of enrollments per department with lpad/rpad
SELECT rpad(d.department_code, 6, '.') || lpad(count(*)::text, 6, ' ') AS report_line,
       lpad(d.department_key::text, 3, '0') AS dept_key_padded,
       rpad(d.division, 12, '*') AS division_padded
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE e.term_key = 202410
  AND d.college_code = 'CNS'
GROUP BY d.department_code, d.department_key, d.division
ORDER BY report_line;

-- trim family: strip prefixes, padding characters and trailing zeros
SELECT DISTINCT p.cip_code,
       rtrim(p.cip_code, '0'),
       ltrim(p.cip_code, '0'),
       trim(BOTH '0' FROM replace(p.cip_code, '.', '')),
       btrim('  ' || p.program_code || '  '),
       trim(LEADING 'S' FROM s.student_id)
FROM dim_program p
JOIN dim_student s ON s.program_key = p.program_key
WHERE s.student_id IN ('S0000001', 'S0000002', 'S0000003', 'S0000010')
ORDER BY 1, 6;

-- Shortened program names with replace, degree counts per program
SELECT replace(replace(p.program_name, 'Bachelor of Science in ', 'BS '), 'Master of Science in ', 'MS ') AS short_name,
       count(*) AS degrees
FROM fact_degree f
JOIN dim_program p ON p.program_key = f.program_key
WHERE p.department_key IN (6, 8, 9)
GROUP BY p.program_name
ORDER BY short_name;

-- translate: digits-only phone numbers, CIP without dot, lower-cased vowels
SELECT DISTINCT s.student_id,
       translate(s.phone, '-', ''),
       translate(p.cip_code, '.', ''),
       translate(upper(p.program_name), 'AEIOU', 'aeiou')
FROM dim_student s
JOIN dim_program p ON p.program_key = s.program_key
WHERE s.student_id BETWEEN 'S0000001' AND 'S0000006'
  AND s.is_current
ORDER BY s.student_id;

-- Sections per term suffix using left/right on term_code
SELECT right(t.term_code, 2) AS term_suffix,
       left(t.term_code, 4) AS term_year,
       count(*) AS sections
FROM dim_section s
JOIN dim_term t ON t.term_key = s.term_key
GROUP BY right(t.term_code, 2), left(t.term_code, 4)
ORDER BY term_year, term_suffix;

-- Text histogram of overall ratings with repeat
SELECT overall_rating,
       count(*),
       repeat('#', (count(*) / 50)::int),
       reverse(lpad(overall_rating::text, 3, '0'))
FROM fact_feedback
WHERE survey_type = 'COURSE_EVAL'
GROUP BY overall_rating
ORDER BY overall_rating;

-- Display names with concat/concat_ws, where preferred_name may be NULL
SELECT DISTINCT student_id,
       concat_ws(' ', first_name, '(' || preferred_name || ')', last_name) AS display_name,
       concat(last_name, ', ', preferred_name) AS sort_name,
       concat(first_name, NULL, ' ', last_name) AS legal_name,
       first_name || ' ' || preferred_name AS concat_operator
FROM dim_student
WHERE is_current
  AND student_id <= 'S0000040'
ORDER BY student_id;

-- format() with %s, %I and %L building lookup statements and labels
SELECT course_id,
       format('%s (%s)', course_title, course_id),
       format('SELECT * FROM %I WHERE course_id = %L', 'dim_course', course_id),
       format('%I', 'Course ' || subject_code),
       format('%-8s|%6s|', subject_code, course_number)
FROM dim_course
WHERE subject_code = 'STAT'
ORDER BY course_id;

-- LIKE with escaped underscore and a custom ESCAPE character
SELECT level_group,
       count(*) AS courses,
       count(*) FILTER (WHERE level_group LIKE 'UPPER\_%') AS upper_escaped,
       count(*) FILTER (WHERE level_group LIKE '%!_DIV' ESCAPE '!') AS ends_div,
       count(*) FILTER (WHERE course_title NOT LIKE 'Intro%') AS not_intro
FROM dim_course
GROUP BY level_group
ORDER BY level_group;

-- ILIKE and NOT ILIKE on department and course titles
SELECT d.department_code,
       count(*),
       count(*) FILTER (WHERE c.course_title ILIKE 'INTRO%'),
       count(*) FILTER (WHERE c.course_title NOT ILIKE '%seminar%')
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.department_name ILIKE '%ENGINEERING%'
GROUP BY d.department_code
ORDER BY d.department_code;

-- SIMILAR TO patterns on course titles and course ids
SELECT c.level_group,
       count(*) FILTER (WHERE c.course_title SIMILAR TO '%(Seminar|Studio)%') AS seminar_or_studio,
       count(*) FILTER (WHERE c.course_id SIMILAR TO '[A-Z]{2,4}-[0-9]{4}') AS well_formed_id,
       count(*) FILTER (WHERE c.course_title NOT SIMILAR TO '(Introduction|Theory|Graduate)%') AS other_titles
FROM dim_course c
GROUP BY c.level_group
ORDER BY c.level_group;

-- regexp_replace with the g flag and back-references
SELECT department_code,
       regexp_replace(department_name, '\s+and\s+', ' & ', 'g'),
       regexp_replace(department_name, '[aeiou]', '', 'g'),
       regexp_replace(department_name, '^(\w+)\s.*$', '\1'),
       regexp_replace(college_name, '(College|School) of ', '', 'i')
FROM dim_department
WHERE department_name LIKE '% and %'
ORDER BY department_code;

-- Normalised phone numbers and masked digits for a few students
SELECT DISTINCT student_id,
       regexp_replace(phone, '[^0-9]', '', 'g') AS digits_only,
       regexp_replace(phone, '\d', 'X', 'g') AS masked,
       overlay(phone PLACING '***' FROM 1 FOR 3) AS overlaid
FROM dim_student
WHERE student_id <= 'S0000012'
  AND phone IS NOT NULL
ORDER BY student_id;

-- Instructors mentioned in comments, extracted with regexp_match
SELECT (regexp_match(comment_text, 'Professor ([^ ]+) (really cared|rarely answered)'))[2] AS mention_kind,
       count(*) AS comments,
       count(DISTINCT (regexp_match(comment_text, 'Professor ([^ ]+) '))[1]) AS distinct_names
FROM fact_feedback
WHERE comment_text ~ 'Professor [^ ]+ (really cared|rarely answered)'
GROUP BY 1
ORDER BY mention_kind;

-- Most frequent capitalised words in course titles via regexp_matches with g
SELECT m[1],
       count(*)
FROM dim_course,
     regexp_matches(course_title, '([A-Z][a-z]+)', 'g') AS m
GROUP BY m[1]
ORDER BY 2 DESC, 1
LIMIT 15;

-- Average number of words in course titles by level (regexp_split_to_array)
SELECT level_group,
       round(avg(array_length(regexp_split_to_array(course_title, '\s+'), 1)), 2) AS avg_words,
       max(cardinality(regexp_split_to_array(course_title, '\s+'))) AS max_words,
       min((regexp_split_to_array(course_title, '\s+'))[1]) AS first_word_min
FROM dim_course
GROUP BY level_group
ORDER BY level_group;

-- Most common words in English feedback comments via regexp_split_to_table
SELECT w AS word,
       count(*) AS occurrences
FROM fact_feedback,
     regexp_split_to_table(comment_text, '[ .,]+') AS w
WHERE language_code = 'en'
  AND comment_text IS NOT NULL
  AND w <> ''
GROUP BY w
ORDER BY occurrences DESC, word
LIMIT 20;

-- POSIX regex operators ~, ~*, !~ and !~* on course titles
SELECT d.division,
       count(*),
       count(*) FILTER (WHERE c.course_title ~ '^(Introduction|Theory) '),
       count(*) FILTER (WHERE c.course_title ~* 'SCIENCE'),
       count(*) FILTER (WHERE c.course_id !~ '^[A-Z]+-[0-9]{4}$'),
       count(*) FILTER (WHERE d.department_name !~* 'engineering|science')
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY d.division
ORDER BY d.division;

-- string_to_array on section ids: element access and cardinality
SELECT s.section_key,
       string_to_array(s.section_id, '-'),
       (string_to_array(s.section_id, '-'))[3],
       cardinality(string_to_array(s.section_id, '-')),
       array_to_string(string_to_array(s.section_id, '-'), '/')
FROM dim_section s
WHERE s.term_key = 202420
  AND s.course_key IN (1, 2, 3)
ORDER BY s.section_key;

-- Pseudonymised student ids with md5 for summa cum laude graduates
SELECT left(md5(f.student_id), 12) AS student_hash,
       md5(f.student_id || ':' || f.degree_id::text) AS degree_hash,
       length(md5(f.student_id)) AS hash_len,
       f.final_cum_gpa
FROM fact_degree f
WHERE f.honors = 'SUMMA_CUM_LAUDE'
ORDER BY student_hash;

-- Students per last-name initial with ascii and chr
SELECT ascii(left(last_name, 1)),
       chr(ascii(left(last_name, 1))),
       chr(ascii(left(last_name, 1)) + 32),
       count(DISTINCT student_id)
FROM dim_student
GROUP BY 1
ORDER BY 1;

-- quote_literal, quote_ident and quote_nullable on names with apostrophes and NULLs
SELECT DISTINCT student_id,
       quote_literal(last_name),
       quote_ident(last_name),
       quote_nullable(preferred_name),
       quote_literal(first_name || ' ' || last_name)
FROM dim_student
WHERE (last_name LIKE '%''%' OR last_name LIKE '% %')
  AND is_current
ORDER BY student_id
LIMIT 15;

-- Department codes per college concatenated with an ordered string_agg
SELECT college_code,
       string_agg(department_code, ', ' ORDER BY department_code) AS departments,
       string_agg(DISTINCT division, '/') AS divisions,
       count(*) AS department_count
FROM dim_department
GROUP BY college_code
ORDER BY college_code;

-- Literal SIMILAR TO, LIKE and regex matches
SELECT 'Intro Lab' SIMILAR TO '%Lab',
       'Intro Lab' SIMILAR TO 'Intro (Lab|Seminar)',
       'MATH-1110' SIMILAR TO '[A-Z]+-[0-9]{4}',
       '100%' LIKE '100\%',
       'a_b' LIKE 'a#_b' ESCAPE '#',
       'Lyceum' ~* '^ly',
       'Lyceum' !~ 'X';

-- Literal padding, trimming, repeating and case functions
SELECT initcap('hello wORLD of o''neil-smith') AS initcapped,
       btrim('xxhixx', 'x') AS btrimmed,
       lpad('7', 3, '0') AS lpadded,
       rpad('abcdef', 3) AS rpad_truncates,
       lpad('abc', 6, 'xy') AS lpad_multi,
       repeat('ab', 3) AS repeated,
       reverse('Lyceum') AS reversed,
       ltrim('  padded  ') || '|' AS ltrimmed,
       rtrim('  padded  ') || '|' AS rtrimmed;

-- Literal regular expression functions
SELECT regexp_replace('2023FA', '(\d{4})([A-Z]{2})', '\2-\1'),
       regexp_match('MATH-1110', '([A-Z]+)-(\d+)'),
       regexp_split_to_array('a, b,,c', ',\s*'),
       split_part('a.b.c', '.', 2),
       split_part('a.b.c', '.', -1),
       string_to_array('x|y|z', '|'),
       regexp_replace('aaa', 'a', 'b'),
       regexp_replace('aaa', 'a', 'b', 'g');

-- Literal character and byte functions
SELECT ascii('A'),
       chr(955),
       md5(''),
       octet_length('é'),
       char_length('é'),
       upper('abc') || lower('DEF'),
       position('c' IN 'abcabc'),
       strpos('abcabc', 'z'),
       left('abcdef', -2),
       right('abcdef', -2);

-- Sentence counts in comments with PostgreSQL 15 regexp_count/regexp_instr/regexp_substr
SELECT regexp_count(comment_text, '\.') AS sentences,
       count(*) AS comments,
       min(regexp_instr(comment_text, '\.')) AS first_period_min,
       max(regexp_substr(comment_text, '^[A-Za-z]+')) AS first_word_max
FROM fact_feedback
WHERE comment_text IS NOT NULL
  AND language_code = 'en'
GROUP BY 1
ORDER BY sentences;

-- Redacting email addresses found in free-text comments
SELECT response_id,
       substring(comment_text FROM '[A-Za-z0-9._]+@[A-Za-z0-9.]+[a-z]'),
       regexp_replace(comment_text, '[A-Za-z0-9._]+@[A-Za-z0-9.]+[a-z]', '[redacted]', 'g')
FROM fact_feedback
WHERE comment_text LIKE '%@%'
ORDER BY response_id
LIMIT 10;

-- Email format validation with a regex over current students
SELECT email ~ '^[a-z]+\.[a-z]+[0-9]*@students\.lyceum\.edu$' AS well_formed,
       starts_with(email, lower(left(first_name, 1))) AS starts_with_initial,
       count(*) AS students
FROM dim_student
WHERE is_current
GROUP BY 1, 2
ORDER BY well_formed, starts_with_initial;

-- Case-insensitive city grouping for cities starting with M or S
SELECT lower(city),
       upper(left(city, 3)),
       count(DISTINCT student_id)
FROM dim_student
WHERE city ILIKE 'm%' OR city ILIKE 's%'
GROUP BY 1, 2
ORDER BY 1;

-- Catalog label built with || including numeric credit hours
SELECT c.subject_code || ' ' || c.course_number || ' (' || c.credit_hours || ' cr)' AS catalog_label,
       c.course_level::text || '-level' AS level_label,
       c.is_gateway::text AS gateway_text
FROM dim_course c
WHERE c.subject_code IN ('PHYS', 'CHEM')
ORDER BY catalog_label;

-- Lowest and highest course id per department using text min/max and greatest/least
SELECT d.department_code,
       min(c.course_id),
       max(c.course_id),
       greatest(min(c.course_title), max(c.course_title)),
       least(d.department_code, d.college_code)
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.division = 'HEALTH'
GROUP BY d.department_code, d.college_code
ORDER BY d.department_code;

-- substring SIMILAR form extracting course numbers
SELECT course_id,
       substring(course_id SIMILAR '[A-Z]+-#"[0-9]+#"' ESCAPE '#') AS number_part,
       substring(course_id FROM '[0-9]+')::int / 1000 AS level_digit
FROM dim_course
WHERE subject_code = 'HIST'
ORDER BY course_id;

-- Instructor short names with initials and rank in title case
SELECT i.instructor_id,
       upper(left(i.first_name, 1)) || '. ' || i.last_name,
       initcap(i.academic_rank),
       initcap(replace(i.tenure_status, '_', ' ')),
       char_length(i.first_name || i.last_name)
FROM dim_instructor i
JOIN dim_department d ON d.department_key = i.department_key
WHERE i.is_current
  AND d.department_code IN ('MATH', 'STAT')
ORDER BY i.instructor_id;
