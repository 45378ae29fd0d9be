SELECT 'café' AS "café" -- café
