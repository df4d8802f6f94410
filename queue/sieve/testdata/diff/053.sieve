# 053: header name is case-insensitive
require "fileinto";
if header :contains "SUBJECT" "meeting" { fileinto "Yes"; }
