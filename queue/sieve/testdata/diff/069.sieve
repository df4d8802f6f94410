# 069: address :localpart
require "fileinto";
if address :localpart :is "from" "alice" { fileinto "Yes"; }
