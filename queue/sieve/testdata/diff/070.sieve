# 070: address :domain is case-insensitive
require "fileinto";
if address :domain :is "from" "EXAMPLE.NET" { fileinto "Yes"; }
