-- check: ordered
-- Timestamps are unique in the data, so ORDER BY Timestamp is a total order and the rows are compared in order.
-- =~ is a case-insensitive equality: lower() on both sides. between is inclusive at both ends, as BETWEEN.
SELECT Timestamp, DeviceName, AccountDomain, AccountName, ActionType, FileName, FolderPath,
       ProcessCommandLine, InitiatingProcessFileName, InitiatingProcessCommandLine, ReportId
FROM {DeviceProcessEvents}
WHERE Timestamp BETWEEN TIMESTAMPTZ '2025-03-13 12:00:00+00' AND TIMESTAMPTZ '2025-03-13 16:00:00+00'
  AND lower(DeviceName) = lower('ws-102.contoso.com')
ORDER BY Timestamp ASC
