DROP TRIGGER extensions_directory_version ON voip.extensions;
DROP TRIGGER domains_directory_version ON voip.domains;
DROP FUNCTION voip.directory_version_bump();
DROP TABLE voip.directory_version;
