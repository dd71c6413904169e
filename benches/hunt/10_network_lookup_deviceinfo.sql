-- lookup is a left outer join on the key, keeping the left rows and columns, then the right's other columns.
-- arg_max(Timestamp, a, b, ...) by DeviceId takes all of them from the latest row (Timestamps are unique).
WITH devices AS (
    SELECT DeviceId, DeviceName, OSPlatform, DeviceType, PublicIP
    FROM {DeviceInfo}
    QUALIFY row_number() OVER (PARTITION BY DeviceId ORDER BY Timestamp DESC) = 1
), web AS (
    SELECT DeviceId, RemoteUrl, count(*) AS Connections, max(Timestamp) AS LastSeen
    FROM {DeviceNetworkEvents}
    WHERE Timestamp > {now} - INTERVAL 1 DAY
      AND RemoteIPType = 'Public' AND RemotePort IN (80, 443, 8080, 8443)
    GROUP BY DeviceId, RemoteUrl
)
SELECT w.DeviceId, w.RemoteUrl, w.Connections, w.LastSeen, d.DeviceName, d.OSPlatform, d.DeviceType, d.PublicIP
FROM web w
LEFT JOIN devices d ON w.DeviceId = d.DeviceId
