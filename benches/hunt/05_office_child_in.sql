-- in~ is a case-insensitive IN: lower() of the column against the lower-cased list.
SELECT Timestamp, DeviceName, AccountName, InitiatingProcessFileName, InitiatingProcessCommandLine,
       FileName, ProcessCommandLine, SHA1
FROM {DeviceProcessEvents}
WHERE Timestamp > {now} - INTERVAL 2 DAY
  AND lower(InitiatingProcessFileName) IN ('winword.exe', 'excel.exe', 'powerpnt.exe', 'outlook.exe', 'onenote.exe',
                                           'mspub.exe', 'visio.exe', 'msaccess.exe')
  AND lower(FileName) IN ('cmd.exe', 'powershell.exe', 'pwsh.exe', 'wscript.exe', 'cscript.exe', 'mshta.exe',
                          'rundll32.exe', 'regsvr32.exe', 'certutil.exe', 'schtasks.exe', 'wmic.exe')
