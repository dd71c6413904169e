-- arg_max(Timestamp, *) by DeviceId: the whole row at each device's latest Timestamp, columns ordered as Kusto
-- orders them (the key, the Timestamp, then the rest in table order). Timestamps are unique in the data, so the
-- row is well defined (with ties Kusto keeps any one).
SELECT DeviceId, Timestamp, * EXCLUDE (DeviceId, Timestamp)
FROM {DeviceInfo}
WHERE Timestamp > {now} - INTERVAL 7 DAY
QUALIFY row_number() OVER (PARTITION BY DeviceId ORDER BY Timestamp DESC) = 1
