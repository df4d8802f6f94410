# 432: address :all :is with upper-case local part keeps case under casemap
require "fileinto";
if address :is "from" "ALICE@EXAMPLE.NET" { fileinto "CI"; }
