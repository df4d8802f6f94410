# 408: upper-case identifiers, tags and require
REQUIRE "fileinto";
IF HEADER :CONTAINS "subject" "meeting" { FILEINTO "Upper"; }
