-- bin(Timestamp, 1h) is the floor to the hour: date_trunc('hour') (in UTC, the session's TimeZone). dcount is
-- exact at these cardinalities in Kusto (and exact in kqlite): count(DISTINCT).
SELECT DeviceName, date_trunc('hour', Timestamp) AS Timestamp,
       count(*) AS Connections, count(DISTINCT RemoteIP) AS RemoteIPs, count(DISTINCT RemoteUrl) AS RemoteUrls
FROM {DeviceNetworkEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
  AND ActionType IN ('ConnectionSuccess', 'ConnectionRequest', 'HttpConnectionInspected', 'SslConnectionInspected')
  AND RemoteIPType = 'Public'
GROUP BY 1, 2
