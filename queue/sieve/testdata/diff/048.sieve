# 048: header with a list of keys
require "fileinto";
if header :contains "subject" ["nothing", "here", "Meeting"] { fileinto "Yes"; }
