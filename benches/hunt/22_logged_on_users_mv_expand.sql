-- LoggedOnUsers is JSON text (a string column in Defender): parse_json + mv-expand = unnest of the array's
-- elements; tostring(User.UserName) = json_extract_string ('' for a missing property, Kusto's null string).
WITH u AS (
    SELECT DeviceName, Timestamp, unnest(json_extract(LoggedOnUsers, '$[*]')) AS U
    FROM {DeviceInfo}
    WHERE Timestamp > {now} - INTERVAL 3 DAY
)
SELECT json_extract_string(U, '$.UserName') AS UserName,
       json_extract_string(U, '$.DomainName') AS UserDomain,
       json_extract_string(U, '$.Sid') AS UserSid,
       count(*) AS Reports, list(DISTINCT DeviceName) AS Devices, max(Timestamp) AS LastSeen
FROM u
GROUP BY 1, 2, 3
