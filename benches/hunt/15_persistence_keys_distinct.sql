-- contains / endswith are case-insensitive: lower() of the column against lower-case needles.
SELECT DISTINCT DeviceName, RegistryKey, RegistryValueName, RegistryValueData, InitiatingProcessFileName
FROM {DeviceRegistryEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
  AND ActionType IN ('RegistryValueSet', 'RegistryKeyCreated', 'RegistryKeyRenamed')
  AND (contains(lower(RegistryKey), '\currentversion\run')
       OR contains(lower(RegistryKey), '\currentcontrolset\services\')
       OR ends_with(lower(RegistryKey), '\winlogon'))
