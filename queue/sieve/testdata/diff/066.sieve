# 066: escaped quote and backslash in a string
require "fileinto";
if header :is "x-quote" "say \"hi\" \\ now" { fileinto "Escaped"; }
