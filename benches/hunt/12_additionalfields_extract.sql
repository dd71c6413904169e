-- extract(re, 2, s) = regexp_extract(s, re, 2) ('' when nothing matches: Kusto's null string, filtered out by
-- isnotempty). AdditionalFields is JSON text: parse_json(...).Index / ["Sample"] = json_extract_string, then
-- toint / tobool = TRY_CAST (null when it does not convert). countif(b) counts the rows where b is true.
WITH p AS (
    SELECT DeviceId, FileName,
           regexp_extract(ProcessCommandLine, '(https?)://([^/\s''"]+)', 2) AS Host,
           TRY_CAST(json_extract_string(AdditionalFields, '$.Index') AS INTEGER) AS ReportIndex,
           TRY_CAST(json_extract_string(AdditionalFields, '$.Sample') AS BOOLEAN) AS Sampled
    FROM {DeviceProcessEvents}
    WHERE Timestamp > {now} - INTERVAL 2 DAY
)
SELECT Host, FileName, count(*) AS Launches, count(DISTINCT DeviceId) AS Devices,
       count(*) FILTER (WHERE Sampled) AS SampledLaunches,
       min(ReportIndex) AS MinIndex, max(ReportIndex) AS MaxIndex
FROM p
WHERE Host <> ''
GROUP BY Host, FileName
