# 072: address ignores the display name
require "fileinto";
if address :contains "from" "Example" { fileinto "Domain"; } else { fileinto "No"; }
