# 297: vacation and reject conflict
require ["vacation", "reject"];
vacation "away";
reject "no";
