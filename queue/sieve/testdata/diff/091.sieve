# 091: address :localpart :contains case-insensitive
require "fileinto";
if address :localpart :contains "from" "LIC" { fileinto "Yes"; }
