#include "policy/given_names.h"

#include <string_view>
#include <unordered_set>

namespace warden::policy {

const std::vector<std::string>& common_given_names() {
  static const std::vector<std::string> names = {
    "Aaron", "Abdul", "Abigail", "Adam", "Adrian", "Adriana", "Agnes", "Ahmed", "Aidan", "Aisha", "Alan",
    "Albert", "Alberto", "Alejandro", "Alessandra", "Alessandro", "Alex", "Alexander", "Alexandra", "Alexis",
    "Alfred", "Ali", "Alice", "Alicia", "Alina", "Alison", "Amanda", "Amelia", "Amir", "Amy", "Ana", "Anders",
    "Andrea", "Andreas", "Andrew", "Andrés", "Angela", "Angelika", "Anja", "Anke", "Ann", "Anna", "Anne",
    "Annette", "Antoine", "Anton", "Antonio", "Arjun", "Arne", "Astrid", "Axel", "Barbara", "Bart", "Bas",
    "Beatrice", "Beatriz", "Ben", "Benedikt", "Benjamin", "Bernd", "Bernhard", "Bettina", "Birgit", "Bram",
    "Brandon", "Brian", "Bruno", "Camille", "Carla", "Carlos", "Carmen", "Carol", "Caroline", "Catherine",
    "Cecilia", "Céline", "Charles", "Charlotte", "Chiara", "Chloé", "Chloe", "Christian", "Christina",
    "Christine", "Christoph", "Christopher", "Claire", "Clara", "Claudia", "Colin", "Cornelia", "Cristina",
    "Daan", "Daniel", "Daniela", "Daniele", "David", "Davide", "Debora", "Deborah", "Denise", "Dennis",
    "Diana", "Diego", "Dieter", "Dirk", "Dominik", "Donald", "Doris", "Dorothy", "Douglas", "Dylan", "Edward",
    "Elena", "Eleonora", "Elias", "Elif", "Elisa", "Elisabeth", "Elizabeth", "Ella", "Ellen", "Emily", "Emma",
    "Emanuele", "Emilia", "Emilio", "Eric", "Erik", "Esther", "Eva", "Evelyn", "Fabian", "Fabio", "Fatima",
    "Federica", "Federico", "Felix", "Fernando", "Finn", "Florian", "Francesca", "Francesco", "Francisco",
    "François", "Françoise", "Franziska", "Frederik", "Friedrich", "Gabriel", "Gabriele", "Gabriela", "Gary",
    "George", "Georg", "Gerhard", "Gerrit", "Gianluca", "Gilles", "Giorgio", "Giovanni", "Giulia", "Giulio",
    "Giuseppe", "Gloria", "Gregor", "Gregory", "Greta", "Guillaume", "Gustav", "Hannah", "Hans", "Harald",
    "Harry", "Heike", "Heinz", "Helen", "Helena", "Helga", "Hendrik", "Henk", "Henri", "Henry", "Hugo",
    "Ibrahim", "Ines", "Ingrid", "Irene", "Isabel", "Isabella", "Isabelle", "Ivan", "Jacob", "Jacques",
    "Jakob", "James", "Jana", "Jane", "Janet", "Jannik", "Jasmin", "Jason", "Javier", "Jean", "Jennifer",
    "Jens", "Jeroen", "Jessica", "Joachim", "Joanna", "Johann", "Johanna", "John", "Jonas", "Jonathan",
    "Jordi", "Jorge", "José", "Joseph", "Joshua", "Juan", "Judith", "Julia", "Julian", "Juliane", "Julie",
    "Jürgen", "Justin", "Karen", "Karin", "Karl", "Katarina", "Katharina", "Kathleen", "Katja", "Kenneth",
    "Kerstin", "Kevin", "Kim", "Klaus", "Konrad", "Kurt", "Lara", "Laura", "Laurent", "Lea", "Léa", "Leon",
    "Leonardo", "Leonie", "Linda", "Lisa", "Lorenzo", "Louis", "Louise", "Luca", "Lucas", "Lucía", "Lucia",
    "Ludwig", "Luigi", "Luis", "Luisa", "Lukas", "Lutz", "Magdalena", "Maja", "Manuel", "Manuela", "Marc",
    "Marcel", "Marco", "Margaret", "Margarethe", "Maria", "María", "Marie", "Marina", "Mario", "Marion",
    "Marius", "Markus", "Marta", "Martin", "Martina", "Mary", "Mateo", "Matteo", "Matthew", "Matthias",
    "Maurice", "Maximilian", "Melanie", "Mia", "Michael", "Michaela", "Michel", "Michelle", "Miguel",
    "Mohamed", "Mohammed", "Monica", "Monika", "Nadia", "Natalia", "Nathalie", "Nicola", "Nicolas", "Nicole",
    "Niels", "Niklas", "Nils", "Nina", "Noah", "Noor", "Nora", "Olaf", "Olga", "Oliver", "Olivia", "Oscar",
    "Otto", "Pablo", "Paola", "Pascal", "Patricia", "Patrick", "Paul", "Paula", "Paolo", "Pedro", "Peter",
    "Petra", "Philip", "Philipp", "Pierre", "Pieter", "Pilar", "Priya", "Rachel", "Rafael", "Raffaele",
    "Rahul", "Raquel", "Rebecca", "Reinhard", "Renate", "Richard", "Riccardo", "Rita", "Robert", "Roberta",
    "Roberto", "Robin", "Roland", "Rosa", "Ruben", "Rudolf", "Ruth", "Ryan", "Sabine", "Samuel", "Sandra",
    "Sara", "Sarah", "Sascha", "Sebastian", "Sem", "Sergio", "Silke", "Silvia", "Simon", "Simone", "Sofia",
    "Sofía", "Sophie", "Stefan", "Stefanie", "Steffen", "Stephanie", "Stephen", "Steven", "Susan", "Susanne",
    "Sven", "Sylvie", "Teresa", "Thierry", "Thomas", "Thijs", "Tim", "Timo", "Tobias", "Tom", "Tomás",
    "Torsten", "Ulrich", "Ursula", "Uwe", "Valentina", "Valérie", "Vanessa", "Vera", "Veronica", "Victoria",
    "Vincent", "Vincenzo", "Walter", "Werner", "Wilhelm", "William", "Willem", "Wolfgang", "Xavier",
    "Yannick", "Yusuf", "Zoe", "Zoé",
  };
  return names;
}

bool validate_given_name_person(Candidate& c) {
  // Capitalised words that follow a given name without being a surname.
  static constexpr std::string_view kNotSurnames[] = {
      "The", "And", "Or", "Of", "In", "On", "At", "To", "For", "With", "From", "By", "Is", "Was", "Has",
      "Street", "Road", "Avenue", "Lane", "Square", "Station", "Airport", "Park", "Lake", "River", "Bay",
      "Hospital", "University", "College", "School", "Institute", "Church", "Hotel", "Bank", "Group",
      "Inc", "Ltd", "Corp", "Company", "GmbH", "Foundation", "Team", "Project", "Platz",
      "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
      "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
      "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
      "Nov", "Dec", "Der", "Die", "Das", "Le", "La", "Les", "El", "Los", "Il", "Lo", "Het", "De"};
  const std::string_view v = c.value();
  const size_t space = v.rfind(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view surname = v.substr(space + 1);
  for (auto w : kNotSurnames) {
    if (surname == w) return false;
  }
  bool lower = false;
  for (char ch : surname) lower |= (ch >= 'a' && ch <= 'z') || static_cast<unsigned char>(ch) >= 0x80;
  if (!lower) return false;
  if (is_word_byte(c.after(1)) || is_word_byte(c.before(1))) return false;
  // "Lukas Martin Invoice": a given name right after another one is a surname; the name
  // is "Lukas Martin" (found from its own start), not "Martin Invoice".
  if (c.before(1) == ' ' && c.value_start >= 2) {
    size_t b = c.value_start - 1;
    while (b > 0 && is_word_byte(c.text[b - 1])) --b;
    static const std::unordered_set<std::string_view> given = [] {
      std::unordered_set<std::string_view> set;
      for (const std::string& n : common_given_names()) set.insert(n);
      return set;
    }();
    if (given.count(c.text.substr(b, c.value_start - 1 - b))) return false;
  }
  return true;
}

}  // namespace warden::policy
