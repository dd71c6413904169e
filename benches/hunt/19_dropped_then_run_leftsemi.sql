-- join kind=leftsemi: the left rows that have a match, each once: a semi join (IN subquery). startswith and
-- endswith are case-insensitive.
WITH Dropped AS (
    SELECT SHA1, FileName AS DroppedName
    FROM {DeviceFileEvents}
    WHERE Timestamp > {now} - INTERVAL 2 DAY
      AND ActionType IN ('FileCreated', 'FileModified', 'FileRenamed')
      AND ends_with(lower(FileName), '.exe')
      AND NOT starts_with(lower(FolderPath), 'c:\program files')
)
SELECT FileName, FolderPath, SHA1, count(*) AS Executions, count(DISTINCT DeviceId) AS Devices, max(Timestamp) AS LastRun
FROM {DeviceProcessEvents}
WHERE Timestamp > {now} - INTERVAL 2 DAY
  AND SHA1 IN (SELECT SHA1 FROM Dropped)
GROUP BY FileName, FolderPath, SHA1
