# 011: fileinto INBOX equals keep
require "fileinto";
fileinto "INBOX";
keep;
